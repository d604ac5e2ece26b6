import { LimitWording, limitReached, withinLimit } from "./limits";
import { UserErrorCode } from "../shared/errors";
import { DOMAIN_LIMIT } from "../domains/domain.service";
import { API_KEY_LIMIT } from "../api-keys/api-key.service";
import { WEBHOOK_ENDPOINT_LIMIT } from "../webhooks/webhook.service";
import { certificateLimit } from "../credentials/certificates/certificate.service";

const WIDGETS: LimitWording = {
  code: UserErrorCode.DOMAIN_LIMIT_REACHED,
  holder: "Your account has",
  counted: "widgets",
  remedy: "drop one before adding another",
  field: ["input", "widget"],
};

describe("withinLimit", () => {
  it.each([
    [0, 3, true],
    [2, 3, true],
    [3, 3, false],
    [4, 3, false],
    [0, 0, false],
  ])("with %i held of %i leaves room: %s", (held, max, room) => {
    expect(withinLimit(WIDGETS, held, max).ok).toBe(room);
  });

  it("answers the limit's refusal once the count is reached", () => {
    expect(withinLimit(WIDGETS, 3, 3)).toEqual({
      ok: false,
      error: { code: UserErrorCode.DOMAIN_LIMIT_REACHED, field: ["input", "widget"], message: "Your account has 3 of 3 widgets; drop one before adding another." },
    });
  });
});

describe("limitReached", () => {
  // Clients and their tests read these texts: each limit keeps its words, in the one shape.
  it.each([
    ["domains", DOMAIN_LIMIT, 5, 5, UserErrorCode.DOMAIN_LIMIT_REACHED, ["input", "name"], "Your account holds 5 of 5 domains; remove one before claiming another."],
    ["API keys", API_KEY_LIMIT, 3, 3, UserErrorCode.API_KEY_LIMIT_REACHED, null, "Your account has 3 of 3 active API keys; revoke one before creating another."],
    ["webhook endpoints", WEBHOOK_ENDPOINT_LIMIT, 10, 10, UserErrorCode.WEBHOOK_LIMIT_REACHED, ["input", "url"], "Your account has 10 of 10 webhook endpoints; delete one before creating another."],
    [
      "certificates of a domain",
      certificateLimit("example.com"),
      2,
      2,
      UserErrorCode.CERTIFICATE_LIMIT_REACHED,
      ["input", "domainId"],
      "example.com has 2 of 2 active certificates; revoke one before issuing another.",
    ],
  ])("words the limit of %s as clients know it", (_name, limit, held, max, code, field, message) => {
    expect(limitReached(limit, held, max)).toEqual({ code, field, message });
  });

  it("says what is held, even past a maximum lowered since", () => {
    expect(limitReached(API_KEY_LIMIT, 7, 3).message).toBe("Your account has 7 of 3 active API keys; revoke one before creating another.");
  });
});
