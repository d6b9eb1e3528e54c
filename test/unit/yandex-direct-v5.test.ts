// The v5 URL of a configured Yandex.Direct endpoint, and the reading of the `Units` header: what is accepted, and
// that anything else is refused (the URL, loudly) or ignored (the header, quietly).
import { describe, expect, it } from "vitest";
import { parseUnits } from "../../src/sources/yandex-direct/agency-clients.schema.js";
import { yandexDirectV5Url } from "../../src/vocabulary.js";

describe("yandexDirectV5Url", () => {
  it.each([
    ["production", "https://api.direct.yandex.com/json/v5/agencyclients"],
    ["sandbox", "https://api-sandbox.direct.yandex.com/json/v5/agencyclients"],
    // The simulator's Live 4 URL: the same origin, the v5 path.
    ["http://127.0.0.1:4100/live/v4/json/", "http://127.0.0.1:4100/json/v5/agencyclients"],
    ["https://api.direct.yandex.ru/live/v4/json/", "https://api.direct.yandex.ru/json/v5/agencyclients"],
    ["http://localhost:8080", "http://localhost:8080/json/v5/agencyclients"],
    ["https://proxy.example:8443/some/prefix/?q=1#x", "https://proxy.example:8443/json/v5/agencyclients"],
  ])("%s → %s", (endpoint, url) => {
    expect(yandexDirectV5Url(endpoint, "agencyclients")).toBe(url);
  });

  it("puts the service in the path", () => {
    expect(yandexDirectV5Url("production", "clients")).toBe("https://api.direct.yandex.com/json/v5/clients");
  });

  it.each(["Production", "api.direct.yandex.com", "ftp://example.com/", ""])(
    "refuses the endpoint %j, naming it",
    (endpoint) => {
      expect(() => yandexDirectV5Url(endpoint, "agencyclients")).toThrow(TypeError);
      expect(() => yandexDirectV5Url(endpoint, "agencyclients")).toThrow(`got \`${endpoint}\``);
    },
  );

  it.each(["AgencyClients", "", "agency/clients", "../x"])("refuses the service name %j", (service) => {
    expect(() => yandexDirectV5Url("production", service)).toThrow("Expected `service`");
  });
});

describe("parseUnits", () => {
  it.each([
    ["10/20828/64000", { spent: 10, remaining: 20828, daily: 64000 }],
    [" 10/20828/64000", { spent: 10, remaining: 20828, daily: 64000 }],
    ["10 / 20828 / 64000 ", { spent: 10, remaining: 20828, daily: 64000 }],
    ["0/0/1", { spent: 0, remaining: 0, daily: 1 }],
    [["5/6/7", "8/9/10"], { spent: 5, remaining: 6, daily: 7 }],
  ])("reads %j", (header, units) => {
    expect(parseUnits(header)).toEqual(units);
  });

  it.each([
    undefined,
    [],
    "",
    "garbage",
    "10/20828",
    "10/20828/64000/1",
    "-10/20828/64000",
    "10/-1/64000",
    "10/20828/-64000",
    "1.5/20828/64000",
    "10/20828/0",
    "1e3/2/3",
    "10/20828/99999999999999999999",
    "Units: 10/20828/64000",
  ])("ignores %j", (header) => {
    expect(parseUnits(header)).toBeNull();
  });
});
