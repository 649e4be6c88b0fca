/** The arbiter's batch records are the shared batch machinery's (`@gavel/queue`), under its names. */
export {
  BatchRecord,
  BatchSampleState as ArbiterSampleState,
  SubmitIntent,
} from '@gavel/queue';
