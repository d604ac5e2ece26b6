import { isUnder, reversedName, reversedRangeUnder } from "./domain-scope";

describe("reversed names", () => {
  it("reverse the labels, not the characters", () => {
    expect(reversedName("api.example.com")).toBe("com.example.api");
    expect(reversedName("example.com")).toBe("com.example");
  });

  // The range the store queries must select exactly the names isUnder accepts.
  it.each([
    ["a.example.com", "example.com"],
    ["a.b.example.com", "example.com"],
    ["example.com", "example.com"],
    ["badexample.com", "example.com"],
    ["example.com.evil.test", "example.com"],
    ["x.example-a.com", "example.com"],
    ["x.example0.com", "example.com"],
    ["xn--bcher-kva.example.com", "example.com"],
    ["a.example.co", "example.com"],
    ["a.example.comm", "example.com"],
  ])("%s is in the range under %s exactly when isUnder says so", (name, parent) => {
    const { above, below } = reversedRangeUnder(parent);
    const reversed = reversedName(name);
    expect(reversed > above && reversed < below).toBe(isUnder(name, parent));
  });
});
