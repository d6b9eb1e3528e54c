/** The offline Yandex.Direct Live 4 simulator (GetEventsLog): product code for the demo, e2e tests and benchmarks. */
export {
  startYandexDirectSimulator,
  type BurstSpec,
  type GroundTruthQuery,
  type YandexDirectSimulator,
} from "./yandex-direct.simulator.js";
export {
  BEHAVIOUR_DEFAULTS,
  CURRENCIES,
  DATA_DEFAULTS,
  EVENT_TYPES,
  INJECTABLE_CODES,
  LOCALES,
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
