// Mutation.publishMessage (IAM: classchat's backend, after a message is durable), on the NONE
// data source: the message itself is what `messageAdded` subscribers receive.
export function request(ctx) {
  return { payload: ctx.arguments.input };
}

export function response(ctx) {
  return ctx.result;
}
