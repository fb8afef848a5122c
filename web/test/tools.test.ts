import { describe, expect, it } from "vitest";
import { describeUpdate } from "../src/screens/ToolsSection";

describe("describeUpdate", () => {
  it("says which version a switch went to", () => {
    expect(
      describeUpdate({ switched: true, from_version: "2026.10.26", to_version: "2099.1.1", at: "2026-11-30T00:00:00Z" }),
    ).toBe("Switched to yt-dlp 2099.1.1 (was 2026.10.26).");
  });

  it("names the failing step of a refused update", () => {
    expect(
      describeUpdate({
        switched: false,
        failed_step: "download",
        reason: "The download failed",
        at: "2026-11-30T00:00:00Z",
      }),
    ).toBe("Refused at the test download: The download failed. Nothing changed.");
  });
});
