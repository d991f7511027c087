import { expect, test } from "bun:test";
import { MachineService } from "@bronze/api";
import { bytesFieldOf } from "./bytes-stream.ts";

test("the bytes field of the streams read raw is found by the answer's shape", () => {
  expect(bytesFieldOf(MachineService.method.logs)).toBe(2); // field 1 is reserved
  expect(bytesFieldOf(MachineService.method.copy)).toBe(1);
  expect(bytesFieldOf(MachineService.method.read)).toBe(1);
  expect(bytesFieldOf(MachineService.method.etcdSnapshot)).toBe(1);
});

test("a stream whose answer is not one bytes field is refused", () => {
  expect(() => bytesFieldOf(MachineService.method.dmesg)).toThrow("Dmesg: its answer is not one bytes field");
  expect(() => bytesFieldOf(MachineService.method.events)).toThrow("its answer is not one bytes field");
});
