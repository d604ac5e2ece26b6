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
      // Real components: MariaDB and SQLite, bind9, Redis, openssl, Chromium, spawned servers.
      displayName: "integration",
      roots: ["<rootDir>/test"],
      testMatch: ["**/*.test.ts"],
      setupFiles: ["reflect-metadata"],
    },
  ],
};
