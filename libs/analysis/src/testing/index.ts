/** Telemetry for tests of the analysis and of the analyzer service: `@homeostat/analysis/testing`. */
export * from './telemetry';
