// Previous / Next through a list the API pages by cursor: the cursors of the pages seen so far are kept, so
// Previous goes back exactly, and Next is offered only when the API named a next page.

/** Rows a list page asks the API for. */
export const PAGE_SIZE = 50;

export function Pager({
  cursors,
  next,
  onChange,
}: {
  cursors: (string | undefined)[];
  next: string | undefined;
  onChange: (cursors: (string | undefined)[]) => void;
}) {
  return (
    <div className="pager">
      <button type="button" disabled={cursors.length <= 1} onClick={() => onChange(cursors.slice(0, -1))}>
        Previous
      </button>
      <span>Page {cursors.length}</span>
      <button type="button" disabled={!next} onClick={() => next && onChange([...cursors, next])}>
        Next
      </button>
    </div>
  );
}
