/** Injection tokens of what the runtime hands to a service's module. */
export const BUS = Symbol('homeostat.bus');
export const CONFIG = Symbol('homeostat.config');
export const LOGGER = Symbol('homeostat.logger');
export const SERVICE_NAME = Symbol('homeostat.service-name');
export const READINESS = Symbol('homeostat.readiness');
/** Base URLs of the services running in this process (a ReadonlyMap<ServiceName, string>). */
export const PEERS = Symbol('homeostat.peers');
/** The loop specs of this process (readonly LoopSpec[]), read once at start from HOMEOSTAT_LOOPS_DIR. */
export const LOOPS = Symbol('homeostat.loops');
/** The process's HomeostatMetrics (one registry per process, served on GET /metrics of every port). */
export const METRICS = Symbol('homeostat.metrics');
