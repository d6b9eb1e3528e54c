/**
 * `eventlog-sync simulate`: serves the offline Altcraft and Yandex.Direct simulators on loopback until
 * SIGINT/SIGTERM, so the sync (or curl) can be pointed at them by hand.
 * The flags and their mapping onto the simulators' options are in simulate.flags.ts; they are registered in cli.program.ts.
 */
import { type AltcraftSimulator, startAltcraftSimulator } from "../simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../simulators/yandex-direct/index.js";
import { toError } from "../errors.js";
import {
  nameFlags,
  OPTION_FLAGS,
  type SimulateFlags,
  type SimulatorOptionsFromFlags,
  simulatorOptionsFromFlags,
} from "./simulate.flags.js";

/** `shutdown` is aborted by the first SIGINT or SIGTERM (see process.shutdown.ts). */
export async function runSimulate(flags: SimulateFlags, shutdown: AbortSignal): Promise<void> {
  const servers = await startSimulators(simulatorOptionsFromFlags(flags));
  process.stdout.write(describeSimulators(servers.altcraft, servers.yandex, Date.now()));
  await new Promise<void>((resolve) =>
    shutdown.aborted ? resolve() : shutdown.addEventListener("abort", () => resolve(), { once: true }),
  );
  process.stderr.write("stopping the simulators\n");
  await servers.close();
}

interface RunningSimulators {
  altcraft: AltcraftSimulator;
  yandex: YandexDirectSimulator;
  close(): Promise<void>;
}

async function startOne<T>(name: keyof typeof OPTION_FLAGS, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const error = toError(err);
    const label = name === "altcraft" ? "Altcraft" : "Yandex.Direct";
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EADDRNOTAVAIL" || code === "EACCES") {
      throw new Error(
        `the ${label} simulator cannot listen (${code}; see \`${OPTION_FLAGS[name].port}\` and \`--host\`)`,
        { cause: err },
      );
    }
    throw new Error(`the ${label} simulator refused its options: ${nameFlags(error.message, name)}`, { cause: err });
  }
}

async function startSimulators(options: SimulatorOptionsFromFlags): Promise<RunningSimulators> {
  const altcraft = await startOne("altcraft", () => startAltcraftSimulator(options.altcraft));
  let yandex: YandexDirectSimulator;
  try {
    yandex = await startOne("yandex", () => startYandexDirectSimulator(options.yandex));
  } catch (err) {
    await altcraft.close();
    throw err;
  }
  return { altcraft, yandex, close: async () => void (await Promise.all([altcraft.close(), yandex.close()])) };
}

const SHOWN_CLIENTS = 5;

type AltcraftBanner = Pick<AltcraftSimulator, "url" | "apiUrl" | "tokens">;
type YandexBanner = Pick<YandexDirectSimulator, "url" | "endpoint" | "agencyClientsEndpoint" | "accounts">;

/** What `simulate` prints once both simulators listen. */
export function describeSimulators(altcraft: AltcraftBanner, yandex: YandexBanner, now: number): string {
  return `${describeAltcraft(altcraft)}

${describeYandex(yandex, now)}

Serving until SIGINT (Ctrl+C) or SIGTERM.
`;
}

const curl = (url: string, body: string) => `curl -s -X POST '${url}' -H 'content-type: application/json' -d '${body}'`;

function describeAltcraft(altcraft: AltcraftBanner): string {
  const body = JSON.stringify({ token: altcraft.tokens[0] ?? "", limit: 10 });
  return `Altcraft simulator
  base URL   ${altcraft.url}
  API root   ${altcraft.apiUrl}   (POST campaigns/list, campaigns/get_status, campaigns/log_v2)
  tokens     ${altcraft.tokens.join(", ")}   (all methods, all campaigns)
  admin      ${altcraft.url}/__admin/<route>   (no token)
    ground truth  GET campaigns · GET log?id=<campaign>[&from=<time>][&to=<time>]
    counters      GET|DELETE requests · GET stats
    controls      GET|POST options · POST campaigns · campaign-state · log-rows · burst · fail-next
  example    ${curl(`${altcraft.apiUrl}campaigns/list`, body)}`;
}

function describeYandex(yandex: YandexBanner, now: number): string {
  const agency = yandex.accounts.find((a) => a.role === "agency");
  const from = new Date(now - 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const firstClient = agency?.clients[0];
  const eventsBody = JSON.stringify({
    method: "GetEventsLog",
    token: agency?.token ?? "",
    param: { TimestampFrom: from, Currency: "RUB", ...(firstClient ? { Logins: [firstClient] } : {}) },
  });
  const agencyBody = JSON.stringify({
    method: "get",
    params: { SelectionCriteria: {}, FieldNames: ["ClientId", "Login", "Archived", "Currency"] },
  });
  return `Yandex.Direct simulator
  base URL   ${yandex.url}
  endpoint   ${yandex.endpoint}   (POST {"method":"GetEventsLog","token":…,"param":…})
  agency     ${yandex.agencyClientsEndpoint}   (API v5 AgencyClients.get; Authorization: Bearer <agency token>)
  tokens
${yandexTokenLines(yandex.accounts).join("\n")}
  admin      ${yandex.url}/__admin/<route>   (no token)
    ground truth  GET accounts · GET events?login=<login>[&from=<time>][&to=<time>] · GET count[?login=<login>]
                  GET agency-clients[?all=1] · GET points?token=<token>
    counters      GET|DELETE requests · GET stats
    controls      GET|POST options · POST events?login=<login> · burst?login=<login> · fail-next · points
                  POST agency-clients · agency-clients/archive|restore|remove · agency-clients/fail-next
  example    ${curl(yandex.endpoint, eventsBody)}
  example    curl -s -X POST '${yandex.agencyClientsEndpoint}' -H 'authorization: Bearer ${agency?.token ?? ""}' -d '${agencyBody}'`;
}

/** The agency and advertiser tokens, then the first few client tokens and how many more there are. */
function yandexTokenLines(all: YandexBanner["accounts"]): string[] {
  const accounts = all.filter((a) => a.role !== "client");
  const clients = all.filter((a) => a.role === "client");
  const pad = Math.max(...all.slice(0, accounts.length + SHOWN_CLIENTS).map((a) => a.token.length));
  const tokenLine = (token: string, what: string): string => `    ${token.padEnd(pad)}  ${what}`;
  return [
    ...accounts.map((a) =>
      a.role === "agency"
        ? tokenLine(
            a.token,
            `login ${a.login} (agency); its clients via param.Logins: ${a.clients.length === 0 ? "none" : shortList(a.clients)}`,
          )
        : tokenLine(a.token, `login ${a.login} (direct advertiser)`),
    ),
    ...clients.slice(0, SHOWN_CLIENTS).map((a) => tokenLine(a.token, `login ${a.login} (agency client)`)),
    ...(clients.length > SHOWN_CLIENTS
      ? [`    … ${clients.length - SHOWN_CLIENTS} more: client-N-token for login client-N`]
      : []),
  ];
}

function shortList(items: readonly string[]): string {
  return items.length <= SHOWN_CLIENTS
    ? items.join(", ")
    : `${items.slice(0, SHOWN_CLIENTS).join(", ")}, … (${items.length} in all)`;
}
