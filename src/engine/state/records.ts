/**
 * Records: what goes on the log. A command asks for something; events say what happened; a rejection says
 * why a command was refused. Names follow Zeebe's value types and intents, so the record stream reads like a
 * broker's export.
 */

export type RecordType = 'COMMAND' | 'EVENT' | 'COMMAND_REJECTION';

export type ValueType =
  | 'DEPLOYMENT'
  | 'PROCESS'
  | 'PROCESS_INSTANCE'
  | 'PROCESS_INSTANCE_CREATION'
  | 'PROCESS_INSTANCE_RESULT'
  | 'JOB'
  | 'JOB_BATCH'
  | 'INCIDENT'
  | 'VARIABLE'
  | 'VARIABLE_DOCUMENT'
  | 'MESSAGE'
  | 'MESSAGE_SUBSCRIPTION'
  | 'MESSAGE_START_EVENT_SUBSCRIPTION'
  | 'SIGNAL'
  | 'SIGNAL_SUBSCRIPTION'
  | 'TIMER'
  | 'PROCESS_INSTANCE_MODIFICATION'
  | 'ERROR'
  | 'DECISION'
  | 'DECISION_REQUIREMENTS'
  | 'FORM'
  | 'DECISION_EVALUATION'
  | 'RESOURCE_DELETION'
  | 'CLOCK';

export type RejectionType = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'INVALID_STATE' | 'PROCESSING_ERROR';

export interface EngineRecord {
  position: number;
  recordType: RecordType;
  valueType: ValueType;
  intent: string;
  /** Entity key as a decimal string ("-1" when none). */
  key: string;
  timestamp: number;
  value: Record<string, unknown>;
  rejectionType?: RejectionType;
  rejectionReason?: string;
}

export interface Command {
  valueType: ValueType;
  intent: string;
  key?: string;
  value: Record<string, unknown>;
}

export interface Rejection {
  type: RejectionType;
  reason: string;
}

/** Partition 1's keys start at (1 << 51) + 1, like Zeebe's. */
export const PARTITION_KEY_BASE = 1n << 51n;
