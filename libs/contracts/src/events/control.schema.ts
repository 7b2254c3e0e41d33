import { z } from 'zod';
import { id, nonEmpty } from './common.schema';

/** Every command says who gave it and why: they are the audit trail of people's interventions. */
const audit = { actor: nonEmpty, reason: nonEmpty };

export const controlCommandSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('approve'), decisionId: id, ...audit }).strict(),
  z.object({ command: z.literal('reject'), decisionId: id, ...audit }).strict(),
  z.object({ command: z.literal('pause-loop'), loop: nonEmpty, ...audit }).strict(),
  z.object({ command: z.literal('resume-loop'), loop: nonEmpty, ...audit }).strict(),
  /** Without a loop the switch stops every loop. */
  z.object({ command: z.literal('kill-switch'), state: z.enum(['on', 'off']), loop: nonEmpty.optional(), ...audit }).strict(),
]);
export type ControlCommand = z.infer<typeof controlCommandSchema>;
export type ControlCommandName = ControlCommand['command'];
