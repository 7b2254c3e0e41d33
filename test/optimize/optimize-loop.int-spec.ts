import { describeOptimizeLoop } from './optimize-loop';

describeOptimizeLoop('embedded');
