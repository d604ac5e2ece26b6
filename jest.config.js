/** @type {import('jest').Config} */
const common = {
  testEnvironment: "node",
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }],
  },
};

module.exports = {
  // A global option: Jest ignores it inside projects.
  testTimeout: 30000,
  projects: [
    {
      ...common,
      // Beside the code: pure rules and services over in-memory fakes, with the network refused.
      displayName: "unit",
      roots: ["<rootDir>/src"],
      testMatch: ["**/*.test.ts"],
      setupFiles: ["reflect-metadata"],
      setupFilesAfterEnv: ["<rootDir>/test/support/no-network.ts"],
    },
    {
      ...common,
      // The real server in the test's process, on SQLite and MariaDB (and Redis), through HTTP;
      // with the benchmark's baseline, held here to answering what dnsproof answers.
      displayName: "integration",
      roots: ["<rootDir>/test"],
      testMatch: ["<rootDir>/test/integration/**/*.test.ts", "<rootDir>/test/bench/**/*.test.ts"],
      setupFiles: ["reflect-metadata"],
    },
    {
      ...common,
      // Whole systems: bind9 on loopback, spawned server processes, the CLI, openssl and curl, Chromium.
      displayName: "e2e",
      roots: ["<rootDir>/test"],
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      setupFiles: ["reflect-metadata"],
    },
    {
      ...common,
      // Each finding of the security reviews, replayed against a real server.
      displayName: "security",
      roots: ["<rootDir>/test"],
      testMatch: ["<rootDir>/test/security/**/*.test.ts"],
      setupFiles: ["reflect-metadata"],
    },
  ],
};
