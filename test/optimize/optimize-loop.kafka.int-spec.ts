import { describeOptimizeLoop } from './optimize-loop';

// The same scenario with every stage on Kafka topics (a real broker), as in a distributed deployment.
describeOptimizeLoop('kafka');
