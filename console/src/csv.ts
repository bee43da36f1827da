// Downloads a CSV export from the API. A plain link cannot carry the bearer token (and the token must not go in
// the URL), so the file is fetched with the token and handed to the browser as a blob.

import { ApiError } from './api';
import { currentToken } from './session';

export async function downloadCsv(path: string, filename: string): Promise<void> {
  const token = currentToken();
  const response = await fetch(path, {
    headers: { accept: 'text/csv', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  if (!response.ok) throw new ApiError(response.status, `export failed: ${response.status} ${await response.text()}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
