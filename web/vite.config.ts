/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The server (cargo run) listens on :8000; in development Vite serves the page and forwards
// API calls there, so the page always uses relative URLs and needs no CORS.
const backend = process.env.API_URL ?? "http://localhost:8000";

export default defineConfig({
  base: "/",
  plugins: [react()],
  server: {
    proxy: {
      "/auth": backend,
      "/api": backend,
      "/health": backend,
      "/openapi.json": backend,
    },
  },
  build: { outDir: "dist", sourcemap: true },
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    environment: "node",
  },
});
