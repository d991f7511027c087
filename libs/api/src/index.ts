// The public surface of @bronze/api: Bronze's own protobuf API, generated from libs/api/proto.
export {
  MachineService,
  type VersionInfo,
  VersionInfoSchema,
  type VersionRequest,
  VersionRequestSchema,
  type VersionResponse,
  VersionResponseSchema,
} from "./gen/bronze/machine/v1/machine_pb.ts";
export { BRONZE_VERSION } from "./version.ts";
