"""The request bodies of POST /rates and POST /shipments as MyDHL API's published specification
(2.12.0) defines them, as far as a request of ours can reach: what is required, extraneous keys
refused, lengths, enums, ranges and steps. Parts we never send are accepted as they come (ANY)."""

from __future__ import annotations

from tests.shipping.carriers.fakes.dhl.schema import ANY, BOOL, array, integer, num, obj, text

WEIGHT = num("0.001", "999999999999", "0.001")
SIDE = num("1", "9999999", "0.001")
DIMENSIONS = obj({"length": SIDE, "width": SIDE, "height": SIDE}, ("length", "width", "height"))
PACKAGE_TYPES = "3BX 2BC 2BP CE1 7BX 6BX 4BX 2BX 1CE WB1 WB3 XPD 8BX 5BX WB6 TBL TBS WB2".split()
ACCOUNT = obj(
    {"typeCode": text(1, 15, enum=("shipper", "payer", "duties-taxes")), "number": text(1, 12)},
    ("typeCode", "number"),
)
REFERENCE_TYPES = "AAO CU FF FN IBC LLR OBC PRN ACP ACS ACR CDN STD CO".split()
REFERENCE = obj({"value": text(1, 35), "typeCode": text(2, 3, enum=REFERENCE_TYPES)}, ("value",))
EDD_FIELDS = {"isRequested": BOOL, "typeCode": text(None, 4, enum=("QDDC", "QDDF"))}
RATE_EDD = obj(EDD_FIELDS)
SHIPMENT_EDD = obj(EDD_FIELDS, ("isRequested",))
RATE_ADDRESS = obj(
    {
        "postalCode": text(0, 12),
        "cityName": text(1, 45),
        "countryCode": text(2, 2),
        "provinceCode": text(2, 35),
        "addressLine1": text(1, 45),
        "addressLine2": text(1, 45),
        "addressLine3": text(1, 45),
        "countyName": text(1, 45),
    },
    ("postalCode", "cityName", "countryCode"),
)
RATE_REQUEST = obj(
    {
        "customerDetails": obj(
            {"shipperDetails": RATE_ADDRESS, "receiverDetails": RATE_ADDRESS},
            ("shipperDetails", "receiverDetails"),
        ),
        "accounts": array(ACCOUNT, None, 2),
        "productCode": text(1, 6),
        "localProductCode": text(1, 3),
        "valueAddedServices": ANY,
        "productsAndServices": ANY,
        "payerCountryCode": text(2, 2),
        "plannedShippingDateAndTime": text(1, 29),
        "unitOfMeasurement": text(enum=("metric", "imperial")),
        "isCustomsDeclarable": BOOL,
        "monetaryAmount": array(
            obj(
                {
                    "typeCode": text(enum=("declaredValue", "insuredValue")),
                    "value": num(None, "999999999999999", "0.001"),
                    "currency": text(3, 3),
                },
                ("typeCode", "value", "currency"),
            )
        ),
        "requestAllValueAddedServices": BOOL,
        "estimatedDeliveryDate": RATE_EDD,
        "getAdditionalInformation": ANY,
        "returnStandardProductsOnly": BOOL,
        "nextBusinessDay": BOOL,
        "productTypeCode": text(enum=("all", "dayDefinite", "timeDefinite")),
        "packages": array(
            obj(
                {
                    "typeCode": text(3, 3, enum=PACKAGE_TYPES),
                    "weight": WEIGHT,
                    "dimensions": DIMENSIONS,
                },
                ("weight", "dimensions"),
            ),
            1,
            999,
        ),
    },
    (
        "customerDetails",
        "plannedShippingDateAndTime",
        "unitOfMeasurement",
        "isCustomsDeclarable",
        "packages",
    ),
)
PARTY = obj(
    {
        "postalAddress": obj(
            {
                "postalCode": text(0, 12),
                "cityName": text(1, 45),
                "countryCode": text(2, 2),
                "provinceCode": text(2, 35),
                "addressLine1": text(1, 45),
                "addressLine2": text(1, 45),
                "addressLine3": text(1, 45),
                "countyName": text(1, 45),
                "provinceName": text(1, 35),
                "countryName": text(1, 35),
            },
            ("postalCode", "cityName", "countryCode", "addressLine1"),
        ),
        "contactInformation": obj(
            {
                "email": text(1, 70),
                "phone": text(1, 70),
                "mobilePhone": text(1, 70),
                "companyName": text(1, 100),
                "fullName": text(1, 255),
            },
            ("phone", "companyName", "fullName"),
        ),
        "registrationNumbers": ANY,
        "bankDetails": ANY,
        "typeCode": text(
            enum=("business", "direct_consumer", "government", "other", "private", "reseller")
        ),
    },
    ("postalAddress", "contactInformation"),
)
EXPORT_REASONS = (
    "permanent temporary return used_exhibition_goods_to_origin intercompany_use "
    "commercial_purpose_or_sale personal_belongings_or_personal_use sample gift "
    "return_to_origin warranty_replacement diplomatic_goods defence_material"
).split()
QUANTITY_UNITS = "BOX 2GM M3 DPR DOZ PCS GM GRS KG M 3GM X NO PRS EA LBS SET".split()
LINE_ITEM = obj(
    {
        "number": integer(1, 999),
        "description": text(1, 512),
        "price": num("0", "999999999999999", "0.001"),
        "quantity": obj(
            {
                "value": integer(1, 1_000_000_000),
                "unitOfMeasurement": text(None, 8, enum=QUANTITY_UNITS),
            },
            ("value", "unitOfMeasurement"),
        ),
        "commodityCodes": array(
            obj(
                {"typeCode": text(enum=("outbound", "inbound")), "value": text(2, 18)},
                ("typeCode", "value"),
            ),
            None,
            2,
        ),
        "exportReasonType": text(enum=EXPORT_REASONS),
        "manufacturerCountry": text(2, 2),
        "exportControlClassificationNumber": text(0, 30),
        "weight": obj(
            {
                "netValue": num("0", "999999999999", "0.001"),
                "grossValue": num("0", "999999999999", "0.001"),
            },
            ("netValue", "grossValue"),
        ),
        "isTaxesPaid": BOOL,
        "additionalInformation": ANY,
        "customerReferences": ANY,
        "customsDocuments": ANY,
        "preCalculatedLineItemTotalValue": ANY,
    },
    ("number", "description", "price", "quantity", "manufacturerCountry", "weight"),
)
INVOICE_EXTRAS = (
    "signatureName signatureTitle signatureImage instructions customerDataTextEntries "
    "totalNetWeight totalGrossWeight customerReferences termsOfPayment indicativeCustomsValues "
    "preCalculatedTotalValues"
).split()
EXPORT_EXTRAS = (
    "remarks additionalCharges destinationPortName placeOfIncoterm payerVATNumber "
    "recipientReference exporter packageMarks declarationNotes exportReference exportReason "
    "licenses shipmentType customsDocuments"
).split()
EXPORT_DECLARATION = obj(
    {
        "lineItems": array(LINE_ITEM, 1, 999),
        "invoice": obj(
            {"number": text(1, 35), "date": text(1, 35), **dict.fromkeys(INVOICE_EXTRAS, ANY)},
            ("number", "date"),
        ),
        "exportReasonType": text(enum=EXPORT_REASONS),
        **dict.fromkeys(EXPORT_EXTRAS, ANY),
    },
    ("lineItems",),
)
INCOTERMS = "EXW FCA CPT CIP DPU DAP DDP FAS FOB CFR CIF DAF DAT DDU DEQ DES".split()
PACKAGE = obj(
    {
        "typeCode": text(2, 3, enum=PACKAGE_TYPES),
        "weight": WEIGHT,
        "dimensions": DIMENSIONS,
        "customerReferences": array(REFERENCE, 1, 99),
        "identifiers": ANY,
        "description": text(1, 70),
        "labelBarcodes": ANY,
        "labelText": ANY,
        "labelDescription": text(1, 80),
        "referenceNumber": integer(1, 999),
    },
    ("weight", "dimensions"),
)
IMAGE_OPTION = obj(
    {
        "typeCode": text(enum=("label", "waybillDoc", "invoice", "qr-code", "shipmentReceipt")),
        "templateName": text(None, 25),
        "isRequested": BOOL,
        "hideAccountNumber": BOOL,
        "numberOfCopies": num("1", "2"),
        "invoiceType": text(enum=("commercial", "proforma", "returns")),
        "languageCode": text(3, 3),
        "languageCountryCode": text(2, 2),
        "languageScriptCode": ANY,
        "encodingFormat": text(enum=("png",)),
        "renderDHLLogo": BOOL,
        "fitLabelsToA4": BOOL,
        "labelFreeText": text(None, 150),
        "labelCustomerDataText": text(1, 250),
        "shipmentReceiptCustomerDataText": ANY,
    },
    ("typeCode",),
)
SHIPMENT_REQUEST = obj(
    {
        "plannedShippingDateAndTime": text(1, 29),
        "pickup": obj(
            {
                "isRequested": BOOL,
                "closeTime": text(None, 5, pattern=r"([0-1][0-9]|2[0-3]):([0-5][0-9])"),
                "location": text(None, 80),
                "specialInstructions": ANY,
                "pickupDetails": ANY,
                "pickupRequestorDetails": ANY,
            },
            ("isRequested",),
        ),
        "productCode": text(1, 6),
        "localProductCode": text(1, 3),
        "getRateEstimates": BOOL,
        "accounts": array(ACCOUNT, 1, 3),
        "valueAddedServices": ANY,
        "outputImageProperties": obj(
            {
                "printerDPI": ANY,
                "customerBarcodes": ANY,
                "customerLogos": ANY,
                "encodingFormat": text(enum=("pdf", "zpl", "lp2", "epl")),
                "imageOptions": array(IMAGE_OPTION, None, 20),
                "splitTransportAndWaybillDocLabels": BOOL,
                "allDocumentsInOneImage": BOOL,
                "splitDocumentsByPages": BOOL,
                "splitInvoiceAndReceipt": BOOL,
                "receiptAndLabelsInOneImage": BOOL,
            }
        ),
        "customerReferences": array(REFERENCE, None, 999),
        "identifiers": ANY,
        "customerDetails": obj(
            {
                "shipperDetails": PARTY,
                "receiverDetails": PARTY,
                **dict.fromkeys(
                    "buyerDetails importerDetails exporterDetails sellerDetails payerDetails "
                    "manufacturerDetails ultimateConsigneeDetails brokerDetails".split(),
                    ANY,
                ),
            },
            ("shipperDetails", "receiverDetails"),
        ),
        "content": obj(
            {
                "packages": array(PACKAGE, 1, 999),
                "isCustomsDeclarable": BOOL,
                "declaredValue": num("0", "999999999999999", "0.001"),
                "declaredValueCurrency": text(3, 3),
                "exportDeclaration": EXPORT_DECLARATION,
                "description": text(1, 70, pattern=r"^[^\s]"),
                "USFilingTypeValue": text(1, 20),
                "incoterm": text(enum=INCOTERMS),
                "unitOfMeasurement": text(enum=("metric", "imperial")),
            },
            ("packages", "isCustomsDeclarable", "description", "incoterm", "unitOfMeasurement"),
        ),
        "documentImages": ANY,
        "onDemandDelivery": ANY,
        "requestOndemandDeliveryURL": BOOL,
        "shipmentNotification": ANY,
        "prepaidCharges": ANY,
        "getTransliteratedResponse": BOOL,
        "estimatedDeliveryDate": SHIPMENT_EDD,
        "getAdditionalInformation": ANY,
        "parentShipment": ANY,
    },
    (
        "plannedShippingDateAndTime",
        "pickup",
        "productCode",
        "accounts",
        "customerDetails",
        "content",
    ),
)
