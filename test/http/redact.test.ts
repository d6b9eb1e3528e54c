// Secrets never leave the HTTP boundary: every spelling and piece of a token is masked in bodies, errors and their
// causes.
import { Writable } from "node:stream";
import { MockAgent } from "undici";
import { describe, expect, it } from "vitest";
import { ApiError, HttpError, MalformedResponseError, NetworkError } from "../../src/errors.js";
import { post } from "../../src/http/http.post.js";
import { createRedactor, MIN_PIECE, REDACTED, redactedSnippet, secretForms } from "../../src/http/secrets.redactor.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { parseEnvelope } from "../../src/sources/altcraft/altcraft.client.js";
import { parseResponse } from "../../src/sources/yandex-direct/yandex-direct.client.js";

/** 40 characters, with characters that URL and JSON encoding change. */
const TOKEN = 'y0_AgAAAAB/q7Zk+Ra9=Wc8Lm"Pe2Xu4Tn6Jd1Hs';
const OTHER = "ac-5f1e0c9b7d3a4e2f8b6c0d1a9e7f3b5c2d4e6f";

/** Every piece of MIN_PIECE characters of the secret: none may be left. */
function pieces(secret: string): string[] {
  return Array.from({ length: secret.length - MIN_PIECE + 1 }, (_, i) => secret.slice(i, i + MIN_PIECE));
}

function expectClean(text: string, secret = TOKEN): void {
  for (const piece of pieces(secret)) expect(text, `piece ${JSON.stringify(piece)}`).not.toContain(piece);
}

describe("createRedactor", () => {
  const redact = createRedactor([TOKEN]);

  it("masks the whole secret and keeps the text around it", () => {
    expect(redact(`invalid token ${TOKEN} for login client-1`)).toBe(`invalid token ${REDACTED} for login client-1`);
    expect(redact(`${TOKEN}${TOKEN}`)).toBe(REDACTED);
  });

  it.each([
    ["URL-encoded", encodeURIComponent(TOKEN)],
    ["form-encoded", encodeURIComponent(TOKEN).replace(/%20/g, "+")],
    ["URL-encoded, lower-case hex", encodeURIComponent(TOKEN).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())],
    ["JSON-escaped", JSON.stringify(TOKEN).slice(1, -1)],
    ["JSON-escaped with \\/", JSON.stringify(TOKEN).slice(1, -1).replace(/\//g, "\\/")],
    ["XML-escaped", TOKEN.replace(/"/g, "&quot;")],
  ])("masks the %s form", (_, form) => {
    const text = `POST /api?token=${form}&x=1 failed`;
    const out = redact(text);
    expect(out).toBe(`POST /api?token=${REDACTED}&x=1 failed`);
    expect(out).not.toContain(form.slice(0, MIN_PIECE));
  });

  it("masks a request body quoted as JSON", () => {
    const body = JSON.stringify({ method: "GetEventsLog", token: TOKEN, param: {} });
    const out = redact(`HTTP 400: ${JSON.stringify(body)}`);
    expectClean(out);
    expect(out).toContain("GetEventsLog");
  });

  it("masks every piece of 8 characters: the prefix and suffix a cut snippet leaves", () => {
    expect(redact(`... token=${TOKEN.slice(0, 12)}…`)).toBe(`... token=${REDACTED}…`);
    expect(redact(`…${TOKEN.slice(-9)}" }`)).toBe(`…${REDACTED}" }`);
    for (const piece of pieces(TOKEN)) expect(redact(`a ${piece} b`)).toBe(`a ${REDACTED} b`);
    expect(redact(redactedSnippet(`${"x ".repeat(95)}${TOKEN}`, redact))).not.toContain(TOKEN.slice(0, 8));
  });

  it("leaves a piece of 7 characters alone", () => {
    const seven = TOKEN.slice(3, 10);
    expect(redact(`a ${seven} b`)).toBe(`a ${seven} b`);
  });

  it("masks a piece of exactly 8 characters and leaves one of 7: the threshold as documented", () => {
    // Literal numbers: the promise is "8 or more consecutive characters", whatever the constant says.
    const secret = "k3Yv9QzW7tLp2RxN";
    const only = createRedactor([secret]);
    expect(only(`a ${secret.slice(4, 12)} b`)).toBe(`a ${REDACTED} b`);
    expect(only(`a ${secret.slice(4, 11)} b`)).toBe(`a ${secret.slice(4, 11)} b`);
    expect(only(`a ${secret.slice(0, 6)} b`)).toBe(`a ${secret.slice(0, 6)} b`);
  });

  it("masks a secret of 8 characters in pieces, and one of 7 only whole", () => {
    const eight = createRedactor(["Qm4tZ8wK"]);
    expect(eight("key Qm4tZ8wK!")).toBe(`key ${REDACTED}!`);
    const seven = createRedactor(["Qm4tZ8w"]);
    expect(seven("key Qm4tZ8w!")).toBe(`key ${REDACTED}!`);
    // A cut of 6 characters of either secret is not the secret: it stays.
    expect(eight("key Qm4tZ8 cut")).toBe("key Qm4tZ8 cut");
    expect(seven("key Qm4tZ8 cut")).toBe("key Qm4tZ8 cut");
  });

  it("masks a non-ASCII secret in its ASCII-escaped JSON form (\\uXXXX), as servers that escape every non-ASCII character write it", () => {
    // A non-ASCII character in every run of 3, so no piece of 8 characters of the escaped form is plain ASCII
    // that another spelling of the secret would also cover.
    const secret = "äb3ñq7Ωz9éd2жx5";
    const escaped = "\\u00e4b3\\u00f1q7\\u03a9z9\\u00e9d2\\u0436x5";
    const only = createRedactor([secret]);
    expect(only(`{"error":"token ${escaped} rejected"}`)).toBe(`{"error":"token ${REDACTED} rejected"}`);
    // A snippet cut in the middle of the escaped form is masked by its pieces as well.
    expect(only(`token ${escaped.slice(0, 14)}`)).toBe(`token ${REDACTED}`);
    expect(only(`token ${JSON.stringify(secret).slice(1, -1)} as written`)).toBe(`token ${REDACTED} as written`);
  });

  it("masks several secrets, each in every form", () => {
    const both = createRedactor([TOKEN, OTHER]);
    const out = both(`altcraft ${OTHER.slice(10, 30)} yandex ${encodeURIComponent(TOKEN)} and ${OTHER}`);
    expect(out).toBe(`altcraft ${REDACTED} yandex ${REDACTED} and ${REDACTED}`);
    expectClean(out);
    expectClean(out, OTHER);
  });

  it("masks a short secret only where it appears whole, and ignores empty ones", () => {
    const short = createRedactor(["abc12", ""]);
    expect(short("key abc12, not abc1")).toBe(`key ${REDACTED}, not abc1`);
    expect(createRedactor([""])("nothing to hide")).toBe("nothing to hide");
    expect(createRedactor([])("nothing to hide")).toBe("nothing to hide");
  });

  it("lists the spellings of a secret once each", () => {
    const forms = secretForms("plain-token-value");
    expect(forms).toEqual(["plain-token-value"]);
    expect(secretForms(TOKEN)).toContain(encodeURIComponent(TOKEN));
  });
});

describe("texts read from responses", () => {
  const redact = createRedactor([TOKEN]);

  it("Altcraft: HTTP errors, error_text and malformed bodies carry no piece of the token", () => {
    const body = JSON.stringify({ token: TOKEN, id: 1 });
    const shapes: Array<[number, string]> = [
      [400, `Bad request: ${body}`],
      [200, JSON.stringify({ error: 400, error_text: `token ${TOKEN} is not valid here` })],
      [500, `<html><body><pre>${body}</pre></body></html>`],
      [200, `token=${encodeURIComponent(TOKEN)}`],
      [200, JSON.stringify({ echo: body })],
    ];
    for (const [status, text] of shapes) {
      let thrown: unknown;
      try {
        parseEnvelope("campaigns/log_v2", status, text, "json", { redact });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect([HttpError, ApiError, MalformedResponseError].some((c) => thrown instanceof c)).toBe(true);
      expectClean(
        JSON.stringify({ ...(thrown as object), message: (thrown as Error).message, stack: (thrown as Error).stack }),
      );
    }
  });

  it("Yandex.Direct: error_str, error_detail and snippets carry no piece of the token", () => {
    const shapes: Array<[number, string]> = [
      [
        200,
        JSON.stringify({
          error_code: 53,
          error_str: `Authorization error ${TOKEN}`,
          error_detail: `token ${JSON.stringify(TOKEN)}`,
        }),
      ],
      [400, JSON.stringify({ request: { token: TOKEN } })],
      [502, `<html>${"pad ".repeat(45)}${TOKEN}</html>`],
      [200, `not json ${TOKEN}`],
    ];
    for (const [status, text] of shapes) {
      let thrown: unknown;
      try {
        parseResponse(status, text, { redact });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(Error);
      expectClean(
        JSON.stringify({ ...(thrown as object), message: (thrown as Error).message, stack: (thrown as Error).stack }),
      );
    }
  });

  it("a network error quoting the request is redacted, and drops a cause that holds the secret", async () => {
    // A transport error whose message quotes the request, as some proxies and agents write it.
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get("http://127.0.0.1:9")
      .intercept({ path: "/api", method: "POST" })
      .replyWithError(
        new Error(
          `socket hang up while sending {"token":"${TOKEN}"} to http://127.0.0.1:9/api?token=${encodeURIComponent(TOKEN)}`,
        ),
      );
    try {
      const failure = await post("http://127.0.0.1:9/api", "{}", { timeoutMs: 2000, redact, agent }).catch(
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(NetworkError);
      expect((failure as Error).message).toContain("socket hang up");
      expect((failure as Error).message).toContain(REDACTED);
      expect((failure as Error).cause, "the raw cause is not kept").toBeUndefined();
      expectClean(`${(failure as Error).message}\n${(failure as Error).stack ?? ""}`);
    } finally {
      await agent.close();
    }
  });

  it("a network error without a secret keeps its cause", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get("http://127.0.0.1:9")
      .intercept({ path: "/api", method: "POST" })
      .replyWithError(new Error("other side closed"));
    try {
      const failure = await post("http://127.0.0.1:9/api", "{}", { timeoutMs: 2000, redact, agent }).catch(
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(NetworkError);
      expect((failure as Error).cause).toBeInstanceOf(Error);
    } finally {
      await agent.close();
    }
  });
});

describe("the logger", () => {
  it("redacts token fields at any depth and authorization headers", () => {
    let out = "";
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const log = createLogger({ level: "debug", destination: sink });
    log.debug(
      {
        token: TOKEN,
        account: { name: "main", token: TOKEN },
        config: { sources: { altcraft: { accounts: [{ token: TOKEN }] } } },
        request: { headers: { authorization: `Bearer ${TOKEN}` } },
        accounts: [{ token: OTHER }],
      },
      "debug line",
    );
    expect(out).toContain("debug line");
    expectClean(out);
    expectClean(out, OTHER);
  });
});
