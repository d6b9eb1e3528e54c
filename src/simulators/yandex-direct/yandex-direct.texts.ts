import type { Currency, EventType, Locale } from "./yandex-direct.options.js";

/**
 * Error codes the simulator answers with, and their short text (`error_str`) per locale. Texts follow the
 * vendor's English list where it exists; 55, 71 and 245 have no known vendor text (api-contracts §4 q.13).
 */
export const ERROR_TEXTS = {
  3: { en: "Invalid date", ru: "Неверная дата", uk: "Невірна дата" },
  5: { en: "Invalid time interval", ru: "Неверный интервал времени", uk: "Невірний інтервал часу" },
  8: { en: "Invalid limits", ru: "Неверно заданы ограничения", uk: "Невірно задано обмеження" },
  9: { en: "This field must be an array", ru: "Поле должно быть массивом", uk: "Поле має бути масивом" },
  18: { en: "Invalid offset", ru: "Неверное смещение", uk: "Невірний зсув" },
  52: {
    en: "Authorization server temporarily unavailable",
    ru: "Сервер авторизации временно недоступен",
    uk: "Сервер авторизації тимчасово недоступний",
  },
  53: { en: "Authorization error", ru: "Ошибка авторизации", uk: "Помилка авторизації" },
  54: { en: "No rights", ru: "Нет прав", uk: "Немає прав" },
  55: { en: "Operation not found", ru: "Метод не найден", uk: "Метод не знайдено" },
  56: {
    en: "Method request limit exceeded",
    ru: "Превышен лимит запросов к методу",
    uk: "Перевищено ліміт запитів до методу",
  },
  71: { en: "Invalid parameters", ru: "Неверные параметры", uk: "Невірні параметри" },
  152: { en: "Not enough units", ru: "Недостаточно баллов", uk: "Недостатньо балів" },
  245: { en: "Currency is not specified", ru: "Не указана валюта", uk: "Не вказано валюту" },
  500: { en: "Internal server error", ru: "Внутренняя ошибка сервера", uk: "Внутрішня помилка сервера" },
  503: {
    en: "Service temporarily unavailable",
    ru: "Сервис временно недоступен",
    uk: "Сервіс тимчасово недоступний",
  },
  504: { en: "Scheduled maintenance", ru: "Плановый перерыв в работе сервера", uk: "Планова перерва в роботі сервера" },
  506: {
    en: "Exceeded limit on number of connections",
    ru: "Превышено ограничение на количество соединений",
    uk: "Перевищено обмеження на кількість з'єднань",
  },
  509: {
    en: "This method is not available in this API version",
    ru: "Метод недоступен в данной версии API",
    uk: "Метод недоступний у цій версії API",
  },
} as const satisfies Record<number, Record<Locale, string>>;

export type ErrorCode = keyof typeof ERROR_TEXTS;

/** An API error as answered in the body: HTTP 200 with `error_code`, `error_str`, `error_detail`. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  constructor(code: ErrorCode, detail = "") {
    super(`${code} ${ERROR_TEXTS[code].en}${detail ? `: ${detail}` : ""}`);
    this.code = code;
    this.detail = detail;
    this.name = "ApiError";
  }
}

export function errorBody(error: ApiError, locale: Locale): string {
  return JSON.stringify({
    error_code: error.code,
    error_str: ERROR_TEXTS[error.code][locale],
    error_detail: error.detail,
  });
}

/** `EventName`: the short localized name of an event type. */
export const EVENT_NAMES: Record<EventType, Record<Locale, string>> = {
  BannerModerated: {
    en: "Ad moderated",
    ru: "Объявление проверено модератором",
    uk: "Оголошення перевірено модератором",
  },
  CampaignFinished: { en: "Campaign finished", ru: "Кампания завершена", uk: "Кампанію завершено" },
  LowCTR: {
    en: "Phrase disabled for low CTR",
    ru: "Фраза отключена за низкий CTR",
    uk: "Фразу вимкнено через низький CTR",
  },
  MoneyOut: { en: "Out of funds", ru: "Закончились средства", uk: "Закінчилися кошти" },
  MoneyWarning: { en: "Funds running low", ru: "Средства на исходе", uk: "Кошти закінчуються" },
  MoneyIn: { en: "Funds added", ru: "Зачислены средства", uk: "Зараховано кошти" },
  PausedByDayBudget: {
    en: "Paused by daily budget",
    ru: "Остановлена по дневному бюджету",
    uk: "Зупинено через денний бюджет",
  },
  WarnMinPrice: { en: "Minimum price changed", ru: "Изменилась минимальная цена", uk: "Змінилася мінімальна ціна" },
  WarnPlace: { en: "Ad position changed", ru: "Изменилась позиция показа", uk: "Змінилася позиція показу" },
};

const OBJECT_WORDS: Record<Locale, { campaign: string; account: string; banner: string; phrase: string }> = {
  en: { campaign: "Campaign", account: "Shared account", banner: "ad", phrase: "phrase" },
  ru: { campaign: "Кампания", account: "Общий счёт", banner: "объявление", phrase: "фраза" },
  uk: { campaign: "Кампанія", account: "Спільний рахунок", banner: "оголошення", phrase: "фраза" },
};

/** `TextDescription`: a longer localized sentence naming the objects and values of one event. */
export function textDescription(
  locale: Locale,
  type: EventType,
  ids: { CampaignID?: number; BannerID?: number; PhraseID?: number; AccountID?: number },
  detail: string,
): string {
  const w = OBJECT_WORDS[locale];
  const parts: string[] = [];
  if (ids.AccountID !== undefined && ids.CampaignID === undefined) parts.push(`${w.account} ${ids.AccountID}`);
  if (ids.CampaignID !== undefined) parts.push(`${w.campaign} ${ids.CampaignID}`);
  if (ids.BannerID !== undefined) parts.push(`${w.banner} ${ids.BannerID}`);
  if (ids.PhraseID !== undefined) parts.push(`${w.phrase} ${ids.PhraseID}`);
  const subject = parts.join(", ");
  const name = EVENT_NAMES[type][locale];
  return `${subject}: ${name}${detail ? ` (${detail})` : ""}`;
}

/** Fixed rates: how many RUB one unit of the currency is worth. Money is stored in RUB. */
export const CURRENCY_RATES: Record<Currency, number> = {
  RUB: 1,
  CHF: 100,
  EUR: 95,
  KZT: 0.2,
  TRY: 2.5,
  UAH: 2.25,
  USD: 90,
  BYN: 28,
};
