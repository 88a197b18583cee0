// Package bulk runs a plan of create and link rows (and delete rows, for Undo) against
// Pipedrive exactly once and resumably: a run that is interrupted, killed or crashes can be run again, and it skips
// the rows already done, looks on the item for the rows whose answer was lost, and sends
// only what is missing.
//
// A plan is a Source of Rows, read as often as a run needs (it is never held in memory
// whole). A Runner sends its rows through workers that share one *pipedrive.Client
// (client.Files is a Files), recording each row's progress in a Journal before it goes on:
// a record is durable before the request it announces is sent. FileJournal, the shipped
// Journal, is a JSON-lines file that is locked while in use and refuses to be read when
// it is damaged or belongs to another plan.
//
// Rows are known across runs by a RowID: a digest of what the row asks for and which
// occurrence of that request it is, so that reordering the rows of a plan, or appending
// new ones, keeps the journal valid.
//
// Failures are told apart: Pipedrive refusing a row itself (a 400, a 404 of the item) fails
// that row and the run goes on; anything every further row would meet too (a 401, a rate
// limit the client gave up waiting for, a 5xx, no connection) stops the run with a
// *StopError, leaving the row to be sent again by the next run.
//
// Undo turns what a plan's journal records into the plan that deletes the files the plan
// created or linked, and only those.
//
// Runner.Shutdown stops a run gracefully (no new rows, calls in flight finish);
// Runner.Close, or cancelling Run's context, abandons the calls in flight, whose rows the
// next run looks for before sending anything.
package bulk
