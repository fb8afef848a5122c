import { describe, expect, it } from "vitest";
import { bookmarkletHref, extractSharedUrl } from "../src/lib/share";

const pick = (q: string) => extractSharedUrl(new URLSearchParams(q));

describe("extractSharedUrl", () => {
  it("prefers the url parameter", () => {
    expect(pick("url=https%3A%2F%2Fa.example%2Fx&text=https%3A%2F%2Fb.example%2Fy")).toBe("https://a.example/x");
  });

  it("finds a link inside shared text, as Android apps send it", () => {
    expect(pick(`text=${encodeURIComponent("Listen to Song by Artist on Music https://music.example/t/123?si=abc")}`)).toBe(
      "https://music.example/t/123?si=abc",
    );
  });

  it("drops sentence punctuation after the link", () => {
    expect(pick(`text=${encodeURIComponent("check this (https://a.example/song).")}`)).toBe("https://a.example/song");
  });

  it("falls back to the title", () => {
    expect(pick(`title=${encodeURIComponent("Song http://a.example/s")}`)).toBe("http://a.example/s");
  });

  it("skips an empty or non-link url parameter and uses text", () => {
    expect(pick(`url=&text=${encodeURIComponent("https://a.example/x")}`)).toBe("https://a.example/x");
    expect(pick(`url=not-a-link&text=${encodeURIComponent("https://a.example/x")}`)).toBe("https://a.example/x");
  });

  it("rejects other schemes and returns null when nothing is a link", () => {
    expect(pick(`url=${encodeURIComponent("javascript:alert(1)")}`)).toBeNull();
    expect(pick(`url=${encodeURIComponent("ftp://a.example/x")}`)).toBeNull();
    expect(pick("text=just%20words")).toBeNull();
    expect(pick("")).toBeNull();
  });
});

describe("bookmarkletHref", () => {
  it("opens this server's share route with the current page's URL", () => {
    const href = bookmarkletHref("https://nas.local:8000/");
    expect(href.startsWith("javascript:")).toBe(true);
    expect(href).toContain('"https://nas.local:8000/share?url="');
    expect(href).toContain("encodeURIComponent(location.href)");
  });
});
