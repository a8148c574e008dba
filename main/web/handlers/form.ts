/** @module Reading fields of a parsed form: text (trimmed by the caller) and checkboxes. */
import type { BodyData } from 'hono/utils/body';

/** The field's text, or '' when absent or a file. */
export function formText(form: BodyData, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value : '';
}

/** Whether a checkbox was ticked (browsers send the field only when it is). */
export function formChecked(form: BodyData, name: string): boolean {
  return form[name] !== undefined;
}
