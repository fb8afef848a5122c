import { describe, expect, it } from "vitest";
import { formatBytes, formatClock, formatEta, formatPercent, formatRelative, formatSpeed } from "../src/lib/format";

describe("formatBytes", () => {
  it("uses binary units with one decimal below 100", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.0 KB");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MB");
    expect(formatBytes(150 * 1024 * 1024)).toBe("150 MB");
    expect(formatBytes(3.25 * 1024 ** 3)).toBe("3.3 GB");
    expect(formatBytes(2 * 1024 ** 5)).toBe("2048 TB");
  });
  it("shows a dash for unknown values", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(undefined)).toBe("—");
    expect(formatBytes(NaN)).toBe("—");
    expect(formatBytes(-1)).toBe("—");
  });
});

describe("formatSpeed", () => {
  it("is bytes per second", () => {
    expect(formatSpeed(1.5 * 1024 * 1024)).toBe("1.5 MB/s");
    expect(formatSpeed(512)).toBe("512 B/s");
    expect(formatSpeed(null)).toBe("—");
  });
});

describe("formatEta and formatClock", () => {
  it("says how long is left", () => {
    expect(formatEta(0)).toBe("0 s left");
    expect(formatEta(12.4)).toBe("12 s left");
    expect(formatEta(150)).toBe("3 min left");
    expect(formatEta(3600)).toBe("1 h left");
    expect(formatEta(3900)).toBe("1 h 5 min left");
    expect(formatEta(null)).toBe("—");
    expect(formatEta(Infinity)).toBe("—");
  });
  it("formats durations as a clock", () => {
    expect(formatClock(5)).toBe("0:05");
    expect(formatClock(65)).toBe("1:05");
    expect(formatClock(183.4)).toBe("3:03");
    expect(formatClock(3723)).toBe("1:02:03");
    expect(formatClock(null)).toBe("—");
  });
});

describe("formatPercent", () => {
  it("clamps and rounds", () => {
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(4.567)).toBe("4.6%");
    expect(formatPercent(42.4)).toBe("42%");
    expect(formatPercent(101)).toBe("100%");
    expect(formatPercent(-3)).toBe("0%");
    expect(formatPercent(null)).toBe("—");
  });
});

describe("formatRelative", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  it("is relative for recent times", () => {
    expect(formatRelative("2026-01-01T11:59:50Z", now)).toBe("just now");
    expect(formatRelative("2026-01-01T11:55:00Z", now)).toBe("5 min ago");
    expect(formatRelative("2026-01-01T09:00:00Z", now)).toBe("3 h ago");
    expect(formatRelative(null, now)).toBe("—");
    expect(formatRelative("garbage", now)).toBe("garbage");
  });
});
