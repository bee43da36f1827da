// What a bench charger answers when the central system calls it (the full backend's after-boot GetConfiguration
// and local-list sync, the capacity run's remote commands): the answer of a charger that accepts everything, valid
// under the backend's strict OCPP 1.6 schemas. Calls are rare next to the charger's own, so parsing JSON here is
// off the hot path.

const ANSWERS: Record<string, object> = {
  GetConfiguration: { configurationKey: [] },
  GetLocalListVersion: { listVersion: 0 },
  GetDiagnostics: {},
  UpdateFirmware: {},
};

/** The CALLRESULT frame for a CALL frame from the central system, or undefined if `frame` is not a CALL. */
export function answerToCall(frame: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed[0] !== 2 || typeof parsed[1] !== 'string' || typeof parsed[2] !== 'string')
    return undefined;
  return JSON.stringify([3, parsed[1], ANSWERS[parsed[2]] ?? { status: 'Accepted' }]);
}
