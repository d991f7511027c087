import type { ServiceState } from "../supervisor/service-state.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";

/** Lines kept from before machined's own service ("machined") is registered with the supervisor. */
const EARLY_LINES = 2000;

/** The service whose log and events carry machined's own lines (services/machined-api.ts). */
const MACHINED = "machined";

/**
 * machined's own log: every line to the console (a timestamp, "machined: ") and to the log of the
 * "machined" service, so that `osctl logs machined` shows the boot and what machined did since; the
 * lines from before that service exists are kept and handed over when it does. `report` also makes an
 * event of a problem (`osctl events`): a boot step that failed, a fallback taken.
 */
export class MachinedLog {
  readonly #console: (line: string) => void;
  readonly #now: () => number;
  #supervisor: Pick<Supervisor, "has" | "logs" | "status" | "events"> | undefined;
  #early: string[] = [];
  #droppedEarly = 0;

  constructor(console: (line: string) => void, now: () => number) {
    this.#console = console;
    this.#now = now;
  }

  /** Lines go to the "machined" service's log once the supervisor has it registered. */
  attach(supervisor: Pick<Supervisor, "has" | "logs" | "status" | "events">): void {
    this.#supervisor = supervisor;
  }

  readonly line = (text: string): void => {
    this.#console(text);
    const supervisor = this.#supervisor;
    if (supervisor?.has(MACHINED)) {
      const buffer = supervisor.logs(MACHINED);
      if (this.#early.length > 0 || this.#droppedEarly > 0) {
        if (this.#droppedEarly > 0) buffer.append("system", `[${this.#droppedEarly} early lines dropped]`);
        for (const early of this.#early) buffer.append("system", early);
        this.#early = [];
        this.#droppedEarly = 0;
      }
      buffer.append("system", text);
      return;
    }
    if (this.#early.length >= EARLY_LINES) {
      this.#early.shift();
      this.#droppedEarly++;
    }
    this.#early.push(text);
  };

  /**
   * A problem machined worked around: an event of the "machined" service (machined logs every event,
   * so it reaches the console and this log too); before the supervisor exists, a line.
   */
  readonly report = (problem: string): void => {
    const supervisor = this.#supervisor;
    if (supervisor === undefined) {
      this.line(problem);
      return;
    }
    const state: ServiceState = supervisor.has(MACHINED) ? supervisor.status(MACHINED).state : "Initialized";
    supervisor.events.append({ service: MACHINED, state, message: problem, time: this.#now() });
  };
}
