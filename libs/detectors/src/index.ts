export {
  createDetector,
  restoreDetector,
  DEFAULT_DETECTOR_OPTIONS,
  DETECTOR_SNAPSHOT_VERSION,
  InvalidDetectorConfigError,
  type DetectorOptions,
  type DetectorSnapshot,
  type DetectorSnapshotV1,
  type DetectorSnapshotV2,
  type SeriesDetector,
} from './series-detector';
