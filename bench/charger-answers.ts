// What a bench charger answers when the central system calls it (the full backend's after-boot GetConfiguration
// and local-list sync, the capacity run's remote commands): the answer of a charger that accepts everything, valid
// under the backend's strict OCPP 1.6 schemas. Calls are rare next to the charger's own, so parsing JSON here is
// off the hot path. An OCPP 2.0.1 charger gets the 2.0.1 answers (mixed-fleet storms).

const ANSWERS: Readonly<Record<'1.6' | '2.0.1', Record<string, object>>> = {
  '1.6': {
    GetConfiguration: { configurationKey: [] },
    GetLocalListVersion: { listVersion: 0 },
    GetDiagnostics: {},
    UpdateFirmware: {},
  },
  // OCPP 2.0.1: a station with nothing in its device model to report (the after-boot refresh's GetBaseReport).
  '2.0.1': {
    GetBaseReport: { status: 'EmptyResultSet' },
    GetLocalListVersion: { versionNumber: 0 },
  },
};

/** The CALLRESULT frame for a CALL frame from the central system, or undefined if `frame` is not a CALL. */
export function answerToCall(frame: string, version: '1.6' | '2.0.1' = '1.6'): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed[0] !== 2 || typeof parsed[1] !== 'string' || typeof parsed[2] !== 'string')
    return undefined;
  return JSON.stringify([3, parsed[1], ANSWERS[version][parsed[2]] ?? { status: 'Accepted' }]);
}
