/**
 * The offline Yandex.Direct simulator (Live 4 GetEventsLog, v5 AgencyClients.get): product code for the demo,
 * e2e tests and benchmarks.
 */
export {
  startYandexDirectSimulator,
  type BurstSpec,
  type GroundTruthQuery,
  type YandexDirectSimulator,
} from "./yandex-direct.simulator.js";
export {
  AGENCY_CLIENTS_FAULTS,
  BEHAVIOUR_DEFAULTS,
  CURRENCIES,
  DATA_DEFAULTS,
  EVENT_TYPES,
  INJECTABLE_CODES,
  LOCALES,
  type AgencyClientsFault,
  type Currency,
  type EventOrder,
  type EventType,
  type InjectableCode,
  type Locale,
  type YandexDirectBehaviourOptions,
  type YandexDirectDataOptions,
  type YandexDirectSimulatorOptions,
} from "./yandex-direct.options.js";
export type { AddedEvent, EventsLogItem, EventsLogItemAttributes } from "./yandex-direct.render.js";
export type { SimulatedAccount, StoreStats } from "./yandex-direct.data.js";
export { CURRENCY_RATES, ERROR_TEXTS, EVENT_NAMES } from "./yandex-direct.texts.js";
export type { AgencyClientTruth, AgencyControls, PointsTruth } from "./yandex-direct.agency-controls.js";
export {
  AGENCY_CLIENTS_CALL_POINTS,
  AGENCY_CLIENTS_CLIENT_POINTS,
  AGENCY_CLIENTS_GET,
  AGENCY_CLIENTS_PATHS,
} from "./yandex-direct.agency.js";
export { AGENCY_CLIENT_FIELDS, MAX_PAGE_LIMIT, type AgencyClientField } from "./yandex-direct.agency-request.js";
export type { AgencyClientStatus, ClientCurrencies } from "./yandex-direct.agency-clients.js";
export { V5_ERROR_TEXTS, type V5ErrorCode } from "./yandex-direct.v5-errors.js";
