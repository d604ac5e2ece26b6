import { gramsOf, sampledGrams } from "./name-grams";

describe("name grams", () => {
  it("are each distinct three-letter piece of a name", () => {
    expect(gramsOf("abcab.io")).toEqual(["abc", "bca", "cab", "ab.", "b.i", ".io"]);
    expect(gramsOf("aaaa")).toEqual(["aaa"]);
  });

  it("are none for a text shorter than three letters", () => {
    expect(gramsOf("ab")).toEqual([]);
    expect(gramsOf("")).toEqual([]);
  });

  it("hold every piece of the search text any name containing it holds", () => {
    const name = "shop.eu.example.com";
    for (const text of ["shop", "eu.exa", "example.com", "p.e"]) {
      expect(name.includes(text)).toBe(true);
      for (const gram of gramsOf(text)) expect(gramsOf(name)).toContain(gram);
    }
  });

  it("sample six pieces of a long search text, its first and last included", () => {
    const text = "a-very-long-label.example.com";
    const sampled = sampledGrams(text);
    expect(sampled).toHaveLength(6);
    expect(sampled[0]).toBe("a-v");
    expect(sampled[5]).toBe("com");
    expect(sampledGrams("short")).toEqual(gramsOf("short"));
  });
});
