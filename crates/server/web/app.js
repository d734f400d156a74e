// The classchat web client.
