import { toGlobalId, withLocalId } from "./global-id";

const ID = "0b6f5c1e-8d0a-4c47-9d53-2f6f1b2a7c10";
const succeed = async (localId: string | null) => ({ ok: true as const, localId });

describe("withLocalId", () => {
  it("passes the local id of an id of the expected type", async () => {
    await expect(withLocalId(toGlobalId("Certificate", ID), "Certificate", ["input", "id"], succeed)).resolves.toEqual({ ok: true, localId: ID });
  });

  it("answers another type's id with the NOT_FOUND an unknown id gets, naming the field, without calling through", async () => {
    const use = jest.fn(succeed);
    const result = await withLocalId(toGlobalId("Domain", ID), "WebhookDelivery", ["input", "deliveryId"], use);
    expect(result).toEqual({
      ok: false,
      error: { code: "NOT_FOUND", message: "No such webhook delivery in your account.", field: ["input", "deliveryId"] },
    });
    expect(use).not.toHaveBeenCalled();
  });

  it.each([
    ["Domain", "No such domain in your account."],
    ["ApiKey", "No such API key in your account."],
    ["Certificate", "No such certificate in your account."],
    ["WebhookEndpoint", "No such webhook endpoint in your account."],
  ] as const)("names a %s the way its service does", async (type, message) => {
    const result = await withLocalId(toGlobalId("AuditEntry", ID), type, ["input", "id"], succeed);
    expect(result).toEqual({ ok: false, error: { code: "NOT_FOUND", message, field: ["input", "id"] } });
  });

  it.each(["", "abc", Buffer.from("Domain:1").toString("base64url")])("refuses the malformed id %j with BAD_USER_INPUT naming the field", async (id) => {
    const use = jest.fn(succeed);
    await expect(withLocalId(id, "Domain", ["input", "domainId"], use)).rejects.toMatchObject({
      extensions: { code: "BAD_USER_INPUT", argument: "input.domainId" },
      message: expect.stringContaining("is not a dnsproof id"),
    });
    expect(use).not.toHaveBeenCalled();
  });

  it("passes null through for an optional id left out", async () => {
    await expect(withLocalId(null, "Domain", ["input", "domainId"], succeed)).resolves.toEqual({ ok: true, localId: null });
  });
});
