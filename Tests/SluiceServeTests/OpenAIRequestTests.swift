// OpenAIRequest: good requests parse, bad ones name the parameter, errors in OpenAI's JSON shape.
import Foundation
import SluiceCore
import Testing

@testable import SluiceServe

@Suite struct OpenAIRequestTests {
    func parse(_ json: String, _ kind: CompletionParameters.Kind = .completion) -> Result<
        CompletionParameters, APIError
    > {
        Result { () throws(APIError) in try CompletionParameters.parse(Array(json.utf8), kind: kind) }
    }

    func error(_ json: String, _ kind: CompletionParameters.Kind = .completion) -> APIError? {
        if case .failure(let e) = parse(json, kind) { return e }
        return nil
    }

    @Test func goodRequestsParse() throws {
        let p = try parse(
            #"{"model":"m","prompt":"hi","max_tokens":5,"temperature":0,"top_p":0.5,"stop":["\n"],"seed":3,"stream":true,"stream_options":{"include_usage":true}}"#
        ).get()
        #expect(
            p.prompt == "hi" && p.maxTokens == 5 && p.temperature == 0 && p.topP == 0.5 && p.stop == ["\n"]
                && p.seed == 3)
        #expect(p.stream && p.includeUsageInStream)
        let c = try parse(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"n":1}"#,
            .chat
        ).get()
        #expect(c.messages == [.init(role: "user", content: "ab")])
    }

    @Test func badRequestsNameTheParameter() {
        let cases: [(String, CompletionParameters.Kind, String?, String)] = [
            (#"{"model":"m","prompt":"x""#, .completion, nil, "could not parse"),
            (#"[1,2]"#, .completion, nil, "JSON object"),
            (#"{"prompt":"x"}"#, .completion, "model", "model"),
            (#"{"model":"m"}"#, .completion, "prompt", "prompt"),
            (#"{"model":"m","prompt":"x","temperature":"hot"}"#, .completion, "temperature", "is not of type 'number'"),
            (#"{"model":"m","prompt":"x","temperature":3}"#, .completion, "temperature", "greater than the maximum"),
            (#"{"model":"m","prompt":"x","max_tokens":0}"#, .completion, "max_tokens", "less than the minimum of 1"),
            (#"{"model":"m","prompt":"x","max_tokens":2.5}"#, .completion, "max_tokens", "is not of type 'integer'"),
            (#"{"model":"m","prompt":"x","n":2}"#, .completion, "n", "n must be 1"),
            (#"{"model":"m","prompt":"x","stream":"yes"}"#, .completion, "stream", "boolean"),
            (
                #"{"model":"m","prompt":"x","bogus":1}"#, .completion, "bogus",
                "Unrecognized request argument supplied: bogus"
            ),
            (#"{"model":"m","prompt":"x","stop":["a","b","c","d","e"]}"#, .completion, "stop", "at most 4"),
            (#"{"model":"m","prompt":"x","seed":1.5}"#, .completion, "seed", "integer"),
            (#"{"model":"m","prompt":"x","logprobs":2}"#, .completion, "logprobs", "not supported"),
            (#"{"model":"m","messages":[]}"#, .chat, "messages", "at least one"),
            (
                #"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#, .chat, "messages.[0].role",
                "is not one of"
            ),
            (#"{"model":"m","messages":[{"role":"user"}]}"#, .chat, "messages.[0].content", "content"),
            (#"{"model":"m","messages":"hi"}"#, .chat, "messages", "is not of type 'array'"),
            (#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[]}"#, .chat, "tools", "tool calling"),
            (
                #"{"model":"m","messages":[{"role":"user","content":"x"}],"prompt":"x"}"#, .chat, "prompt",
                "Unrecognized"
            ),
        ]
        for (body, kind, param, fragment) in cases {
            guard let e = error(body, kind) else {
                Issue.record("accepted: \(body)")
                continue
            }
            #expect(e.status == 400, "\(body)")
            #expect(e.param == param, "\(body): param \(e.param ?? "nil")")
            #expect(e.message.contains(fragment), "\(body): \(e.message)")
            #expect(e.type == "invalid_request_error")
        }
    }

    @Test func errorJSONHasOpenAIShape() throws {
        let e = APIError(404, "no such model", param: "model", code: "model_not_found")
        var parser = JSONParser()
        let v = try parser.parse(e.json)
        let inner = try #require(v.objectValue?["error"]?.objectValue)
        #expect(inner["message"] == .string("no such model") && inner["type"] == .string("invalid_request_error"))
        #expect(inner["param"] == .string("model") && inner["code"] == .string("model_not_found"))
        #expect(APIError(400, "x").json.contains(#""param":null"#))
    }
}
