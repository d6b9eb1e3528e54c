/**
 * Runs a job on a cron schedule, never two at once: a tick that comes while a run is still going is
 * reported and skipped. Errors of a run are reported, never thrown out of the loop.
 */
import { Cron } from "croner";

export interface ScheduleOptions {
  schedule: string;
  timezone: string;
  runOnStart: boolean;
  /** One run. */
  run: () => Promise<void>;
  onSkippedTick: () => void;
  onError: (err: unknown) => void;
}

export interface Schedule {
  /** When the next tick comes. */
  next(): Date | null;
  /** Stops ticking and waits for the run in flight, if any. */
  stop(): Promise<void>;
}

export function startSchedule(options: ScheduleOptions): Schedule {
  let inFlight: Promise<void> | undefined;
  const tick = () => {
    if (inFlight) {
      options.onSkippedTick();
      return;
    }
    inFlight = options
      .run()
      .catch(options.onError)
      .finally(() => {
        inFlight = undefined;
      });
  };
  const cron = new Cron(
    options.schedule,
    { timezone: options.timezone === "UTC" ? "Etc/UTC" : options.timezone, protect: false },
    tick,
  );
  if (options.runOnStart) tick();
  return {
    next: () => cron.nextRun(),
    stop: async () => {
      cron.stop();
      await inFlight;
    },
  };
}
