import ArgumentParser
import Glibc
import WarrenCrypto
import WarrenPKI

struct GenKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genkey",
        abstract: "Print a new private key (base64) to stdout.",
        discussion: "As with `wg genkey`: warren genkey > node.key && chmod 600 node.key; warren pubkey < node.key")

    func run() {
        var random = SystemRandom()
        print(KeyText.privateKey(SigningKey(random: &random)), terminator: "")
    }
}

struct PubKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pubkey", abstract: "Read a private key on stdin and print its public key.")

    func run() throws {
        try reporting {
            var text = ""
            while let line = readLine() { text += line }
            guard let key = KeyText.parsePrivateKey(text) else {
                throw Failure.config("stdin is not a Warren private key (one base64 line, as `warren genkey` prints)")
            }
            print(KeyText.publicKey(key.publicKey))
        }
    }
}
