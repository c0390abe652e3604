"""Signs and submits `System.remark`s in a row from //Alice with substrate-interface, an
independent Python client that builds transactions from the chain's metadata on its own: the
second one fails if the runtime's transaction extensions are not where standard clients put
them (the nonce after the era). Then once more with a mortal era.

Usage: sign_in_a_row.py WS_URL. Exits 0 when all were included successfully; prints why not.
"""

import sys

from substrateinterface import Keypair, SubstrateInterface


def main(url: str) -> int:
    chain = SubstrateInterface(url=url)
    alice = Keypair.create_from_uri("//Alice")
    for index, era in enumerate([None, None, {"period": 64}]):
        call = chain.compose_call(
            call_module="System",
            call_function="remark",
            call_params={"remark": "0x" + bytes([index]).hex()},
        )
        extrinsic = chain.create_signed_extrinsic(call=call, keypair=alice, era=era)
        receipt = chain.submit_extrinsic(extrinsic, wait_for_inclusion=True)
        if not receipt.is_success:
            print(f"remark {index} failed: {receipt.error_message}")
            return 1
        print(f"remark {index} included in {receipt.block_hash}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
