import { scheduledTimes, type ScheduleInput } from "../policy/index.js";

/** The scheduled backup that is due, and the slots it stands in for. */
export interface DueSlot {
  /** The latest scheduled time that has come and has not been taken. */
  slot: Date;
  /** Earlier scheduled times that came and went without a backup, oldest first. */
  missed: Date[];
}

/**
 * Which scheduled backup is due at `now`: the latest scheduled time at or before `now` that is at or
 * after `from` (when protection was configured or resumed) and after `lastSlot` (the last one
 * taken). Only that one runs, however many passed: the others are returned as missed, so that a
 * scheduler coming back from downtime takes one backup, not one for every slot it slept through.
 * @returns undefined when nothing is due.
 * @throws InvalidArgument for a malformed schedule (see `scheduledTimes`).
 */
export function dueSlot(schedule: ScheduleInput, from: Date, lastSlot: Date | undefined, now: Date): DueSlot | undefined {
  const after = lastSlot !== undefined && lastSlot.getTime() >= from.getTime() ? lastSlot.getTime() + 1 : from.getTime();
  if (after > now.getTime()) return undefined;
  const slots = scheduledTimes(schedule, new Date(after), new Date(now.getTime() + 1));
  const slot = slots.pop();
  return slot === undefined ? undefined : { slot, missed: slots };
}
