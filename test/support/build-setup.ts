/** Global setup of the processes project: the process tests run the built binary, so dist/ is brought up to date first. */
import { ensureBuilt } from "./build.js";

export default function setup(): void {
  ensureBuilt();
}
