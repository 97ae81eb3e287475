import { Environment, Interpreter, parse, tokenize } from "@huggingface/jinja";
type A = typeof parse; const x: A = 5; const y: typeof Interpreter = 5;
