// A command to a charger: a button that opens a form, asks for confirmation, sends the command, and shows the
// charger's answer (or the API's error) as it came back.

import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { api, ApiError } from '../api';

export interface Field {
  name: string;
  label: string;
  type?: 'text' | 'number' | 'select';
  options?: string[];
  initial?: string;
  optional?: boolean;
}

export function ConfirmAction({
  label,
  path,
  fields = [],
  build,
  disabled,
  disabledReason,
  describe,
}: {
  label: string;
  path: string;
  fields?: Field[];
  build?: (values: Record<string, string>) => unknown;
  disabled?: boolean;
  disabledReason?: string;
  describe: (values: Record<string, string>) => ReactNode;
}) {
  const formId = useId();
  const [open, setOpen] = useState(false);
  // Filled when the form opens, so a default that arrived after the first render (the running transaction) is used.
  const [values, setValues] = useState<Record<string, string>>({});
  const initialValues = () =>
    Object.fromEntries(fields.map((field) => [field.name, field.initial ?? field.options?.[0] ?? '']));
  const [sending, setSending] = useState(false);
  const [answer, setAnswer] = useState<{ ok: boolean; text: string }>();

  const send = async (event: FormEvent) => {
    event.preventDefault();
    setSending(true);
    setAnswer(undefined);
    try {
      const body = build ? build(values) : defaultBody(fields, values);
      const result = await api<unknown>(path, { method: 'POST', body });
      setAnswer({ ok: true, text: JSON.stringify(result) });
    } catch (error) {
      const text = error instanceof ApiError ? `${error.status}: ${error.message}` : (error as Error).message;
      setAnswer({ ok: false, text });
    } finally {
      setSending(false);
    }
  };

  return (
    <div className="action">
      <button
        type="button"
        disabled={disabled}
        title={disabled ? disabledReason : undefined}
        onClick={() => {
          if (!open) setValues(initialValues());
          setOpen(!open);
          setAnswer(undefined);
        }}
      >
        {label}
      </button>
      {open && (
        <form className="confirm" onSubmit={send} aria-label={`${label} form`}>
          {fields.map((field) => (
            <label key={field.name} htmlFor={`${formId}-${field.name}`}>
              {field.label}
              {field.type === 'select' ? (
                <select
                  id={`${formId}-${field.name}`}
                  value={values[field.name] ?? ''}
                  onChange={(event) => setValues({ ...values, [field.name]: event.target.value })}
                >
                  {field.options?.map((option) => (
                    <option key={option}>{option}</option>
                  ))}
                </select>
              ) : (
                <input
                  id={`${formId}-${field.name}`}
                  type={field.type ?? 'text'}
                  value={values[field.name] ?? ''}
                  required={!field.optional}
                  onChange={(event) => setValues({ ...values, [field.name]: event.target.value })}
                />
              )}
            </label>
          ))}
          <p className="question">{describe(values)}</p>
          <div className="buttons">
            <button type="submit" className="danger" disabled={sending}>
              {sending ? 'Sending…' : `Yes, ${label.toLowerCase()}`}
            </button>
            <button type="button" className="secondary" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
          {answer && (
            <output className={answer.ok ? 'answer ok' : 'answer error'} data-testid="command-answer">
              {answer.ok ? 'Charger answered: ' : 'Failed: '}
              {answer.text}
            </output>
          )}
        </form>
      )}
    </div>
  );
}

function defaultBody(fields: Field[], values: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[field.name] ?? '';
    if (value === '' && field.optional) continue;
    body[field.name] = field.type === 'number' ? Number(value) : value;
  }
  return body;
}
