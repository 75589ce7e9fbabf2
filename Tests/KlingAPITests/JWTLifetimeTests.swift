import Foundation
import KlingAPI
import Testing

@Suite struct JWTLifetimeTests {
    @Test func aTokenLivingLongerThanKlingsIsRefused() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let t: Int64 = 1_700_000_000
        let forever = KlingJWT.sign(.init(iss: "AK", exp: t + 365 * 86400, nbf: t - 5), secretKey: "SK")
        #expect(throws: KlingJWT.VerifyError.lifetimeTooLong) { try KlingJWT.verify(forever, now: now) { _ in "SK" } }
        let signed = KlingJWT.sign(KlingJWT.claims(accessKey: "AK", now: now), secretKey: "SK")
        #expect(try KlingJWT.verify(signed, now: now) { _ in "SK" }.iss == "AK")
    }
}

