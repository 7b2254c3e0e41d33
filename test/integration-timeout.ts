// Integration suites start processes and wait on a real broker: give them time. (testTimeout is
// a global jest option, not a per-project one, so the integration project sets it here.)
jest.setTimeout(120_000);
