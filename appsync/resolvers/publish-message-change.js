// Mutation.publishMessageEdited and Mutation.publishMessageRemoved (IAM: classchat's backend,
// after an edit or a removal is durable), on the NONE data source: the message as it now
// reads (a removal's tombstone, without its text), wrapped as the MessageEvent that
// `messageEdited` and `messageRemoved` subscribers receive.
export function request(ctx) {
  return { payload: { message: ctx.arguments.input } };
}

export function response(ctx) {
  return ctx.result;
}
