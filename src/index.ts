// The library's public surface; each layer adds its exports here.
export { native } from "./tensor/native.js";
