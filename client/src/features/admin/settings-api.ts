import type { Engine } from '@commonroom/engine';
import { DmSupervisorChoices, WorkspaceSettings, type WorkspaceSettingsPatch } from '@commonroom/protocol';

/** The workspace settings routes (sync-server/src/http/admin-routes.ts); the server checks the role. */

export const getSettings = (engine: Engine): Promise<WorkspaceSettings> =>
  engine.api.request('GET', '/api/admin/settings', WorkspaceSettings);

export const saveSettings = (engine: Engine, patch: WorkspaceSettingsPatch): Promise<WorkspaceSettings> =>
  engine.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, patch);

/** Active staff, by name: whom an admin may choose to supervise students' DMs (issue 14 §4). */
export const getSupervisorChoices = async (engine: Engine): Promise<DmSupervisorChoices['people']> =>
  (await engine.api.request('GET', '/api/admin/settings/supervisors', DmSupervisorChoices)).people;

/** Only what differs from the saved settings is sent, so the audit log records real changes only. */
export function settingsChanges(
  saved: WorkspaceSettings,
  form: {
    workspaceName: string;
    studentDmPolicy: WorkspaceSettings['studentDmPolicy'];
    /** '' for none chosen. */
    dmSupervisorId?: string;
    days: string;
  },
  /** The session length as the form first showed it (a default of hours shows rounded). */
  shownDays: string,
): WorkspaceSettingsPatch {
  const patch: WorkspaceSettingsPatch = {};
  const name = form.workspaceName.trim();
  if (name !== saved.workspaceName) patch.workspaceName = name;
  if (form.studentDmPolicy !== saved.studentDmPolicy) patch.studentDmPolicy = form.studentDmPolicy;
  const supervisor =
    form.dmSupervisorId === undefined || form.dmSupervisorId === '' ? null : form.dmSupervisorId;
  if (form.dmSupervisorId !== undefined && supervisor !== saved.dmSupervisorId)
    patch.dmSupervisorId = supervisor;
  if (form.days.trim() !== shownDays) patch.sessionLengthDays = Number(form.days);
  return patch;
}
