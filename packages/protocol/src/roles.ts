import * as z from 'zod/mini';

export const ROLES = ['student', 'tutor', 'teacher', 'staff', 'admin', 'super_admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

const STAFF: ReadonlySet<Role> = new Set(['tutor', 'teacher', 'staff', 'admin', 'super_admin']);
const ADMIN: ReadonlySet<Role> = new Set(['admin', 'super_admin']);

/** Tutors, teachers, staff and admins: may post announcements, moderate channels they belong to, use @channel. */
export function isStaffRole(role: Role): boolean {
  return STAFF.has(role);
}

export function isAdminRole(role: Role): boolean {
  return ADMIN.has(role);
}

export const ROLE_LABELS: Record<Role, string> = {
  student: 'Student',
  tutor: 'Tutor',
  teacher: 'Teacher',
  staff: 'Staff',
  admin: 'Admin',
  super_admin: 'Super admin',
};
