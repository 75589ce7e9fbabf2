import Foundation
import KlingAPI
import Testing

@Suite struct SignatureTests {
    @Test func webhookTestVectorFromTheReference() throws {
        let signer = try #require(WebhookSigner(secret: "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI="))
        let body = Data(#"{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}"#.utf8)
        let signature = signer.signature(id: "9876543210", timestamp: 1781080794, body: body)
        #expect(signature == "v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4=")

        let at = Date(timeIntervalSince1970: 1781080794 + 60)
        try signer.verify(id: "9876543210", timestamp: "1781080794", signatures: "v1,bogus= \(signature)", body: body, now: at)
        #expect(throws: WebhookSigner.VerifyError.noMatchingSignature) {
            try signer.verify(id: "9876543210", timestamp: "1781080794", signatures: signature, body: body + Data(" ".utf8), now: at)
        }
        #expect(throws: WebhookSigner.VerifyError.timestampOutOfTolerance) {
            try signer.verify(id: "9876543210", timestamp: "1781080794", signatures: signature, body: body,
                              now: Date(timeIntervalSince1970: 1781080794 + 301))
        }
    }

    @Test func jwtHasExactlyTheDocumentedClaims() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let token = KlingJWT.sign(KlingJWT.claims(accessKey: "AK123", now: now), secretKey: "SK456")
        let parts = token.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        func decode(_ s: String) throws -> [String: Any] {
            var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while b.count % 4 != 0 { b += "=" }
            let data = try #require(Data(base64Encoded: b))
            return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let header = try decode(parts[0])
        #expect(header["alg"] as? String == "HS256")
        #expect(header["typ"] as? String == "JWT")
        let claims = try decode(parts[1])
        #expect(Set(claims.keys) == ["iss", "exp", "nbf"])
        #expect(claims["iss"] as? String == "AK123")
        #expect(claims["exp"] as? Int == 1_700_000_000 + 1800)
        #expect(claims["nbf"] as? Int == 1_700_000_000 - 5)

        let verified = try KlingJWT.verify(token, now: now) { $0 == "AK123" ? "SK456" : nil }
        #expect(verified.iss == "AK123")
        #expect(throws: KlingJWT.VerifyError.badSignature) { try KlingJWT.verify(token, now: now) { _ in "wrong" } }
        #expect(throws: KlingJWT.VerifyError.expired) {
            try KlingJWT.verify(token, now: now.addingTimeInterval(1801)) { _ in "SK456" }
        }
        #expect(throws: KlingJWT.VerifyError.notYetValid) {
            try KlingJWT.verify(token, now: now.addingTimeInterval(-10)) { _ in "SK456" }
        }
    }
}
