import { checkAnswer, NONCE_HEADER, SIGNATURE_HEADER, signAnswer, TIMESTAMP_HEADER } from "./channel";

const SECRET = "a-shared-secret-of-enough-length-0123456789";

function headersOf(values: Record<string, string>) {
  return { get: (name: string) => values[name] ?? null };
}

describe("the perspective channel", () => {
  const body = Buffer.from('{"observations":[]}');
  const now = 1_800_000_000_000;
  const timestamp = now / 1000;
  const signed = (overrides: Record<string, string> = {}) =>
    headersOf({ [SIGNATURE_HEADER]: signAnswer(SECRET, "n1", timestamp, body), [TIMESTAMP_HEADER]: String(timestamp), [NONCE_HEADER]: "n1", ...overrides });

  it("accepts an answer signed for this request", () => {
    expect(checkAnswer(SECRET, "n1", signed(), body, now)).toEqual({ ok: true });
  });

  it("refuses unsigned, altered, foreign-key, replayed and stale answers", () => {
    expect(checkAnswer(SECRET, "n1", headersOf({}), body, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/^unsigned/) });
    expect(checkAnswer(SECRET, "n1", signed(), Buffer.from('{"observations":[1]}'), now)).toMatchObject({ reason: expect.stringMatching(/^bad signature/) });
    expect(checkAnswer(`${SECRET}x`, "n1", signed(), body, now)).toMatchObject({ reason: expect.stringMatching(/^bad signature/) });
    expect(checkAnswer(SECRET, "n2", signed(), body, now)).toMatchObject({ reason: expect.stringMatching(/^replayed/) });
    expect(checkAnswer(SECRET, "n1", signed(), body, now + 31_000)).toMatchObject({ reason: expect.stringMatching(/^stale/) });
  });
});
