// Every command has a description and examples in its --help, which is complete without loading any command module.
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";

describe("--help", () => {
  const program = buildProgram();
  const commands = program.commands.flatMap((c) => (c.commands.length > 0 ? c.commands.map((sub) => ({ name: `${c.name()} ${sub.name()}`, command: sub })) : [{ name: c.name(), command: c }]));

  it("covers every command", () => {
    expect(commands.map((c) => c.name).sort()).toEqual(["config check", "daemon", "demo", "migrate", "reset", "simulate", "status", "sync"]);
  });

  it.each(commands.map((c) => [c.name, c.command] as const))("%s has a description and examples", (_name, command) => {
    let help = "";
    command.configureOutput({ writeOut: (s) => void (help += s) });
    command.outputHelp();
    expect(command.description().length).toBeGreaterThan(20);
    expect(help).toMatch(/Examples:\n\s+\$ (npx )?eventlog-sync /);
  });
});
