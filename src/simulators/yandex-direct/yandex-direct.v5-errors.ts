/**
 * API v5 errors of the simulator (AgencyClients.get): codes, their `error_string` in English and Russian,
 * and the JSON form `{"error":{request_id, error_code, error_string, error_detail}}`
 * (../shared/api-agency-clients.md §6). The v5 API speaks en, ru and tr; the simulator answers tr, and any
 * other or missing `Accept-Language`, in English, the API's own fallback.
 */
export const V5_LOCALES = ["en", "ru"] as const;
export type V5Locale = (typeof V5_LOCALES)[number];

export const V5_ERROR_TEXTS = {
  52: { en: "Authorization server temporarily unavailable", ru: "Сервер авторизации временно недоступен" },
  53: { en: "Authorization error", ru: "Ошибка авторизации" },
  54: { en: "No rights", ru: "Нет прав" },
  55: { en: "Operation not found", ru: "Операция не найдена" },
  56: { en: "Request limit exceeded", ru: "Превышен лимит запросов" },
  152: { en: "Not enough units", ru: "Недостаточно баллов" },
  506: {
    en: "Exceeded limit on number of connections",
    ru: "Превышено ограничение на количество соединений",
  },
  1000: { en: "Server temporarily unavailable", ru: "Сервер временно недоступен" },
  1001: { en: "Service initialization error", ru: "Ошибка инициализации сервиса" },
  1002: { en: "Operation error", ru: "Ошибка операции" },
  4001: { en: "Invalid request parameters", ru: "Неверные параметры запроса" },
  8000: { en: "Invalid request", ru: "Неверный запрос" },
} as const satisfies Record<number, Record<V5Locale, string>>;

export type V5ErrorCode = keyof typeof V5_ERROR_TEXTS;

/** `error_detail` in both languages; the request's `Accept-Language` picks one. */
export type V5Detail = Readonly<Record<V5Locale, string>>;

/** Same detail in both languages, for details that only quote the request (field names, values). */
export function detail(en: string, ru = en): V5Detail {
  return { en, ru };
}

/** An AgencyClients.get failure as the API answers it. */
export class V5Error extends Error {
  readonly code: V5ErrorCode;
  readonly detail: V5Detail;
  constructor(code: V5ErrorCode, errorDetail: V5Detail = detail("")) {
    super(`${code} ${V5_ERROR_TEXTS[code].en}${errorDetail.en ? `: ${errorDetail.en}` : ""}`);
    this.code = code;
    this.detail = errorDetail;
    this.name = "V5Error";
  }
}

/**
 * HTTP status of an error when `agencyClientsHttpErrors` is on. The real API's mapping is not documented
 * (api-agency-clients.md §10 q.7); this one follows HTTP's meanings: bad request 400, bad token 401, no rights
 * 403, points and connection limits 429, transient server errors 503, the rest 500.
 */
export function v5HttpStatus(code: V5ErrorCode): number {
  switch (code) {
    case 53:
      return 401;
    case 54:
      return 403;
    case 56:
    case 152:
    case 506:
      return 429;
    case 52:
    case 1000:
      return 503;
    case 55:
    case 4001:
    case 8000:
      return 400;
    default:
      return 500;
  }
}

/** Picks the locale from an `Accept-Language` header: its first tag that is en or ru, else English. */
export function v5Locale(header: string | undefined): V5Locale {
  for (const part of (header ?? "").split(",")) {
    const tag = part.split(";")[0]?.trim().toLowerCase().slice(0, 2);
    if (tag === "ru" || tag === "en") return tag;
  }
  return "en";
}

export function v5ErrorBody(error: V5Error, locale: V5Locale, requestId: string): string {
  return JSON.stringify({
    error: {
      request_id: requestId,
      error_code: error.code,
      error_string: V5_ERROR_TEXTS[error.code][locale],
      error_detail: error.detail[locale],
    },
  });
}
