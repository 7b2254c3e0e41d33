import type { ServiceDefinition } from '@homeostat/runtime';
import { AnalyzerModule } from './analyzer.module';

export const analyzerService: ServiceDefinition = { name: 'analyzer', module: AnalyzerModule };
export { AnalyzerModule };
